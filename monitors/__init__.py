"""Drift and quality monitors, alerts, the retrain policy and canary evaluation."""
