"""Plumbing shared by every CRM service and the gateway: never a domain model or rule."""

import warnings

# eventlet announces its deprecation on import (nameko 2.x depends on it); said once in the
# docs, it need not open every log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
