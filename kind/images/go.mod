module cpchaos.local/kind-images

go 1.22
