"""C2M mass customisation: product models and their rules, the configurator, consumer orders, scheduling of the
production orders (job shop) and sequencing of the assembly line (car sequencing), order tracking, demand analytics."""
