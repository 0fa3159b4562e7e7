"""Transport: getting bytes in. The SSRF-guarded HTTP fetcher (:mod:`.fetch`) and local files (:mod:`.files`)."""
