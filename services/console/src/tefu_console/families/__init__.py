"""家庭: search, a family's page (一人一档), registering a family, recording a life event."""
