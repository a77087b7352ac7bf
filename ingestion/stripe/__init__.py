"""The Stripe path: the official SDK, `created` cursors per resource and the Events API for changes.

Objects land in raw_stripe as Stripe sends them, unexpanded, completed where a real account needs it: discounts (no
list endpoint: expanded in the subscriptions listing into raw_stripe.discounts, plus customer.discount.* events) and
invoices' lines past the 10 Stripe embeds (read from the lines endpoint into the invoice's own row). A first load or
full resync lists each resource in parallel `created` slices under one rate limit (slices.py). Why each way:
ingestion/stripe/loader.py.
"""

from ingestion.stripe.loader import RESOURCES, ListingProgress, RetryPolicy, StripeLoadError, load_stripe

__all__ = ["RESOURCES", "ListingProgress", "RetryPolicy", "StripeLoadError", "load_stripe"]
