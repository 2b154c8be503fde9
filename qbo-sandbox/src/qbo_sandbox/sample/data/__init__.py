"""The sample company's fixed tables: names, accounts, items, rates and templates, as plain data.

Nothing here draws a random number or knows about payloads; the generators in :mod:`..sample`
read these tables and decide what the year does with them.
"""
