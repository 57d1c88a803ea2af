"""The churn model page: which model the scores come from, its backtest, what it looks at,
the recent scoring runs; for admins, scoring or training now. Reads the scoring package
(customers/scoring/); nothing in the scoring package imports it."""
