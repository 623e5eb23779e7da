"""Analysis: scan reports, campaigns, trends and transparency reports."""
