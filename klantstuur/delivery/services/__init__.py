"""Delivery the customer steers (R4, R13), by sub-concept:

- ``options``: what the customer may choose (dates, windows, places, cutoffs);
- ``requests``: a choice checked into a ``Spec``, and the first possible one;
- ``booking``: booking, changing and moving a delivery, and freeing its slot;
- ``ingest``: carrier events and shop scans, set-based.

Times are stored in UTC; dates, windows and cutoffs are computed in the business's
time zone. Every change is atomic and journaled on the order's need (or the delivery
problem's need), in the same transaction.
"""
