"""Reports for inspectors: the disbursement rate (发放到位率), a person's payment history."""
