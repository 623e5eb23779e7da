"""Cases, queues and routing rules, claims, decisions, appeals, strikes, the audit chain and the
action outbox."""
