"""The Stripe path: the official SDK, `created` cursors per resource and the Events API for changes."""

from ingestion.stripe.loader import RESOURCES, RetryPolicy, StripeLoadError, load_stripe

__all__ = ["RESOURCES", "RetryPolicy", "StripeLoadError", "load_stripe"]
