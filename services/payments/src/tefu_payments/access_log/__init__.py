"""Who read which personal data held by payments (PIPL): file pulls, return files, lines, histories."""
