def round_time(n, epochs, speed, latency_ms, down_mbps, up_mbps, nbytes):
    latency = latency_ms / 1000  # seconds per message
    download = latency + 8 * nbytes / (down_mbps * 1e6)  # bits / (bits per second)
    upload = latency + 8 * nbytes / (up_mbps * 1e6)
    return download + epochs * n / speed + upload
