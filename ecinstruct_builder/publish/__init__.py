"""Publishing a build: the Hub layout, `ecbuild export`, `ecbuild push`, the dataset card and `ecbuild samples`."""
