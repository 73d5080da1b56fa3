"""The build machinery: the orchestrator, incremental bookkeeping, atomic output, watch."""
