"""AI visual quality inspection (plan §四(八)): defect classification, detection and anomaly detection on product
images, trained from the plant's own images on a CPU with no downloaded weights, run at inspection stations whose
verdicts become the equipment's good and scrap counts."""
