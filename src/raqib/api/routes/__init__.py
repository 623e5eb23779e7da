"""One router per area of the API (/api/v1/...)."""
