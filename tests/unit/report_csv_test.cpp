// CSV escaping (RFC 4180, and no formula injection into spreadsheets) and the
// HTML/SVG escaping of names that come from case systems.
#include <gtest/gtest.h>

#include <sstream>

#include "adapter/runtime/report/csv.h"
#include "adapter/runtime/report/html.h"
#include "adapter/runtime/report/svg_chart.h"

namespace crp::report {
namespace {

TEST(ReportCsv, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(csv_field("Primary School"), "Primary School");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("Health, North"), "\"Health, North\"");
  EXPECT_EQ(csv_field("the \"North\" team"), "\"the \"\"North\"\" team\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_row({"a", "b,c", "d"}), "a,\"b,c\",d\r\n");
}

TEST(ReportCsv, FormulaLikeTextCannotRunInASpreadsheet) {
  EXPECT_EQ(csv_field("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(csv_field("+44 1709"), "'+44 1709");
  EXPECT_EQ(csv_field("-1"), "'-1");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("2027-04-01"), "2027-04-01");  // a dash inside is fine
}

TEST(ReportCsv, OneRowPerFactWithEscapedAgency) {
  ChallengeFact f;
  f.challenge_id = "C1";
  f.protocol = "rotherham";
  f.agency = "Adult Mental Health, \"North\"";
  f.categories = {"a", "b"};
  f.stages_visited = {"stage1", "stage2"};
  f.response = {1, 2};
  std::ostringstream out;
  write_facts_csv(out, {f});
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_NE(text.find(",\"Adult Mental Health, \"\"North\"\"\",a;b,"), std::string::npos) << text;
  EXPECT_NE(text.find(",stage1>stage2,0,1,2,1,2,"), std::string::npos) << text;
}

TEST(ReportHtml, EscapesNamesAndFetchesNothing) {
  EXPECT_EQ(escape_xml("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
  ReportData d;
  d.period = {"2027-04-01", "2027-09-30"};
  d.total = 1;
  d.by_agency = {{"<script>alert(1)</script>", "<script>alert(1)</script>", 1}};
  d.by_outcome = {{"resolved", "Resolved", 1}};
  std::ostringstream out;
  write_html(out, d);
  const std::string html = out.str();
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg\""),
            html.find("http"));  // the SVG namespace is the only URL
  EXPECT_EQ(html.find("https:"), std::string::npos);
  EXPECT_NE(html.find("1 April 2027 to 30 September 2027"), std::string::npos);
  EXPECT_EQ(html.find("Rotherham"), std::string::npos) << "no protocol's wording in the code";
  EXPECT_NE(html.find("<h2>What the protocols say is monitored</h2>"), std::string::npos);
}

TEST(ReportSvg, EveryBarPrintsItsFigure) {
  const std::string svg =
      svg_bar_chart("t", {{"a", "A", 3, "bar-default", ""}, {"b", "B", 0, "bar-default", ""}});
  EXPECT_NE(svg.find("data-key=\"a\" data-value=\"3\""), std::string::npos);
  EXPECT_NE(svg.find(">3</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0</text>"), std::string::npos);
  EXPECT_NE(svg.find("width=\"0\""), std::string::npos);  // a zero draws no bar
}

TEST(ReportSvg, ASuppressedBarHasNoLengthAndPrintsItsMark) {
  const std::string svg =
      svg_bar_chart("t", {{"a", "A", 3, "bar-default", "<5"}, {"b", "B", 40, "bar-default", ""}});
  EXPECT_NE(svg.find("data-key=\"a\" data-value=\"&lt;5\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">&lt;5</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">3</text>"), std::string::npos) << "the hidden value is nowhere";
  EXPECT_EQ(svg.find(": 3<"), std::string::npos);
}

TEST(ReportSuppression, SmallFiguresAndTheirComplements) {
  const Suppression s;  // below 5
  EXPECT_EQ(s.one(0), "0");
  EXPECT_EQ(s.one(4), "<5");
  EXPECT_EQ(s.one(5), "5");
  // One small cell: total - the rest would give it away, so the next smallest hides too.
  EXPECT_EQ(s.group({3, 10, 20}), (std::vector<std::string>{"<5", "x", "20"}));
  // Two cells of 1 sum to 2: only 1+1 fits, so a third is hidden.
  EXPECT_EQ(s.group({1, 1, 9, 30}), (std::vector<std::string>{"<5", "<5", "x", "30"}));
  // Two small cells whose sum (5) has several splits: enough.
  EXPECT_EQ(s.group({2, 3, 9}), (std::vector<std::string>{"<5", "<5", "9"}));
  EXPECT_EQ(s.group({0, 7}), (std::vector<std::string>{"0", "7"}));
  EXPECT_EQ(Suppression{0}.group({1, 2}), (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace crp::report
