"""Payment agencies (代理发放机构) and the file formats they take."""
