"""Kerala feeder simulator: development cases, virtual house nodes and the offline replay."""
