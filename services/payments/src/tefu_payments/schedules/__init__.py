"""Payment schedules: how often each region pays its cash benefits (set locally)."""
