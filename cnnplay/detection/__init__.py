"""Object detection (seeds 000-002): IoU and anchors (``cnnplay.ops.boxes``), a small grid
detector trained on shape scenes, its post-processing and NMS, AP, the sliding-window idea,
RoI pool vs RoI align, torchvision's COCO detector when online, and their figures."""
