"""Programme governance: editions and targets, enterprises, factory projects through acceptance and benchmark
selection, the integrator directory, platforms, talent, parks, events, support, the annual work plan, the cockpit
and the public publications. Verified KPIs and maturity levels are read through production's and assessment's
services, never recomputed here."""
