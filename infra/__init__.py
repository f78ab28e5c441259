"""Plumbing shared by every CRM service and the gateway: never a domain model or rule."""

import sys
import warnings

# kombu tries to import the optional C client librabbitmq each time it makes a connection
# object, which nameko does for every message it publishes; a failed import is not cached, so
# each try searches the file system. Marking it absent makes the import fail at once.
sys.modules.setdefault("librabbitmq", None)

# eventlet announces its deprecation on import (nameko 2.x depends on it); said once in the
# docs, it need not open every log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
