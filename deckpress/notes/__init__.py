"""The notes: ``course.yaml``, the model, how markdown is read into it, and loading."""
