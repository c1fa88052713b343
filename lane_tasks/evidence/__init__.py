"""What runs and releases leave behind: artifact envelope, run store, lease, records, history."""
