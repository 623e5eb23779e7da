"""The HTTP service (`raqib serve`): FastAPI app factory, routers and auth. No business logic:
routes parse, check the caller's role, call the library and shape the answer."""
