"""Capacity sharing (plan §三(六)): machine tools leased to small firms and billed by usage time and equipment wear,
metered from the machines' own data, with invoices a lessee can recompute line by line."""
