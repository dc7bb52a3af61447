"""Texts of the typed-value boxes beside every slider (widgets/numberbox.py)."""

ZH = {
    "{label}: {text!r} is not a number — kept {value}": "{label}：{text!r} 不是数字，保持 {value}",
    "{label}: {text} is above the maximum {high} — set to {high}":
        "{label}：{text} 超过最大值 {high}，已设为 {high}",
    "{label}: {text} is below the minimum {low} — set to {low}":
        "{label}：{text} 低于最小值 {low}，已设为 {low}",
    "{label}: {text} is not on the slider's steps of {step} — set to {value}":
        "{label}：{text} 不在滑块步长 {step} 上，已设为 {value}",
    "{label}: {text} is not a whole number — set to {value}":
        "{label}：{text} 不是整数，已设为 {value}",
}
