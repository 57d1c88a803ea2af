"""The manager dashboard's figures: the tables (models.py), their nightly computation
after scoring (nightly.py) and the dashboard's reads (dashboard.py).

Imports point one way: nightly.py reads customers, scores and handover selectors;
customers/models.py imports only models.py, so the app registers the tables."""
