"""工作台: the person's region at a glance."""
