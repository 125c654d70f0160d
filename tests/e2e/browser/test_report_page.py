"""compare's index.html in Debian's headless Chromium, at a desktop width and a phone's: it loads
with no console error, and nothing overflows the viewport except inside a box that scrolls."""

import os
import subprocess
import sys
import tempfile
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import chromium
import prerequisites
from server_fixture import BINARY, ROOT

# Every element wider than the viewport that is not inside a box scrolling sideways (which must
# itself fit), and the page's own width.
OVERFLOW_CHECK = """(() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => ['auto', 'scroll'].includes(getComputedStyle(element).overflowX);
  const outside = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.getBoundingClientRect().right <= width + 1) continue;
    let box = element.parentElement, contained = false;
    while (box && box !== document.body) {
      if (scrolls(box) && box.getBoundingClientRect().right <= width + 1) { contained = true; break; }
      box = box.parentElement;
    }
    if (!contained) outside.push(element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
                                 (element.className && element.className.baseVal === undefined
                                      ? '.' + element.className : ''));
  }
  return {width, page_width: document.documentElement.scrollWidth, outside: outside.slice(0, 10),
          sections: document.querySelectorAll('section').length,
          decision: !!document.querySelector('section.decision')};
})()"""


class ReportPageTest(unittest.TestCase):
    def test_the_report_reads_at_1400_and_390_pixels(self):
        prerequisites.require("chromium", chromium.available(), chromium.MISSING)
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run([BINARY, "compare", "--quick", "--out", out, "--wires", "rest,ws",
                                   "--scenarios", "high-frequency,tls,capacity"],
                                  capture_output=True, text=True, timeout=300, cwd=ROOT)
            self.assertEqual(done.returncode, 0, done.stderr[-2000:])
            page_url = "file://" + os.path.join(out, "index.html")
            with chromium.Chromium() as browser:
                for width in (1400, 390):
                    with self.subTest(width=width):
                        page = browser.open(page_url, width=width)
                        layout = page.evaluate(OVERFLOW_CHECK)
                        page.screenshot(os.path.join(out, f"index-{width}.png"))
                        self.assertEqual(page.errors, [])
                        self.assertEqual(layout["outside"], [], layout)
                        self.assertLessEqual(layout["page_width"], width, layout)
                        self.assertTrue(layout["decision"])
                        self.assertGreaterEqual(layout["sections"], 4)  # decision + 3 scenarios
                        self.assertGreater(os.path.getsize(os.path.join(out, f"index-{width}.png")),
                                           10_000)
                        page.close()


if __name__ == "__main__":
    unittest.main()
