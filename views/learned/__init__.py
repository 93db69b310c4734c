"""The tabs of the What a CNN learned page, one module each (views/learned.py lays them out)."""
