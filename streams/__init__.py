"""eventml's streaming foundation: Kafka plumbing, dead letters, embedded infra, features, CLI."""
