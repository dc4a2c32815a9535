"""报表: disbursement rate, cards and visits, with charts and the services' own XLSX files."""
