"""The demo world: a generated app database and Stripe account standing in for production sources."""
