def fl_kind(samples_a, samples_b, features_a, features_b):
    samples_a, samples_b = set(samples_a), set(samples_b)
    features_a, features_b = set(features_a), set(features_b)

    def jaccard(s, t):  # |S & T| / |S | T|; two empty sets count as disjoint
        union = len(s | t)
        return len(s & t) / union if union else 0.0

    shared_samples = jaccard(samples_a, samples_b) >= 0.5
    shared_features = jaccard(features_a, features_b) >= 0.5
    if shared_features and not shared_samples:
        return "horizontal"  # same columns, other rows
    if shared_samples and not shared_features:
        return "vertical"  # same rows, other columns
    if not shared_samples and not shared_features:
        return "transfer"  # little overlap in either: federated transfer learning
    return "same data"
