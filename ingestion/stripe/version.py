"""The one Stripe API version Reelhouse reads and writes in.

Every request the loader makes sends it (``stripe_version``), the webhook receiver merges only event objects
rendered in it, and staging models read this version's shapes. It equals the installed stripe SDK's
``stripe._api_version._ApiVersion.CURRENT`` (the SDK is pinned ``stripe>=16.1,<17``); a contract test checks that.
"""

STRIPE_API_VERSION = "2026-10-28.endive"
