"""Publishing a build: Hub layout, `ecbuild export` / `push`, the dataset card, `ecbuild samples`."""
