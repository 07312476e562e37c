from opentto.core.pdf import ReportPDF, extract_text


def test_chinese_text_is_embedded_and_extractable():
    pdf = ReportPDF(title="转化评价报告 Evaluation report", subtitle="二尖瓣夹合器")
    pdf.heading("技术成熟度")
    pdf.facts([("转化交易金额", "¥512,345,678.50")])
    pdf.data_table(["指标", "分数"], [["技术价值", "4.5"]])
    pdf.bars([("经济价值", 3.0, "3.0")], maximum=5)
    text = extract_text(pdf.to_bytes())
    for expected in [
        "转化评价报告",
        "Evaluationreport",
        "二尖瓣夹合器",
        "技术成熟度",
        "¥512,345,678.50",
        "技术价值",
        "4.5",
        "经济价值",
    ]:
        assert expected in text, expected


def test_the_font_is_embedded_as_a_subset():
    raw = ReportPDF(title="徐汇").to_bytes()
    assert b"/FontFile" in raw
    assert len(raw) < 200_000
