"""Who may do what: roles and permissions, passwords, API keys, console sessions, rate limits."""
