module cpchaos/bench/relist-floor-go

go 1.22
