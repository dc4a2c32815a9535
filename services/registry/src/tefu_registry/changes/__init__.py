"""Every change to a family, as its history (一人一档) and as the change feed other services follow."""
