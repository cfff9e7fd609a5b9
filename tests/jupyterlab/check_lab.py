"""Tries gradbook in JupyterLab as a new user would, in headless Chromium: the launcher lists
the kernel, the seed notebook runs, and %graph's SVG and %sql's table render. Not part of the
automated suite (it needs JupyterLab, chromium and chromium-driver); run it by hand:

    python3 -m venv /tmp/lab && /tmp/lab/bin/pip install jupyterlab selenium
    apt-get install chromium chromium-driver
    PATH=/tmp/lab/bin:$PATH .build/debug/gradbook kernel install --sys-prefix
    mkdir /tmp/labwork && cp notebooks/01-computation-graph.ipynb /tmp/labwork/
    (cd /tmp/labwork && PATH=/tmp/lab/bin:$PATH jupyter lab --no-browser --port 8899 \
        --ServerApp.token= --ServerApp.password= --allow-root --LabApp.expose_app_in_browser=True &)
    /tmp/lab/bin/python tests/jupyterlab/check_lab.py      # screenshots in /tmp/lab-*.png
"""
import time, sys
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

opts = Options()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,1000", "--disable-dev-shm-usage"]:
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
def wait_for(js, seconds=90):
    end = time.time() + seconds
    while time.time() < end:
        value = d.execute_script(js)
        if value: return value
        time.sleep(1)
    return None
d.get("http://127.0.0.1:8899/lab?reset")
wait_for("return document.querySelectorAll('.jp-LauncherCard').length")
d.save_screenshot("/tmp/lab-launcher.png")
launcher = d.execute_script("return Array.from(document.querySelectorAll('.jp-LauncherCard')).map(e => e.innerText)")
print("launcher cards:", launcher)
d.get("http://127.0.0.1:8899/lab/tree/01-computation-graph.ipynb")
wait_for("return document.querySelectorAll('.jp-Notebook .jp-Cell').length")
wait_for("var k = document.querySelector('.jp-Toolbar-kernelStatus, .jp-Notebook-ExecutionIndicator'); return window.jupyterapp && true")
time.sleep(5)
print("kernel:", d.execute_script("return Array.from(document.querySelectorAll('.jp-Toolbar-kernelName')).map(e => e.innerText)"))
d.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
wait_for("return document.querySelectorAll('.jp-RenderedSVG').length", 60)
time.sleep(3)
svgs = d.execute_script("return document.querySelectorAll('.jp-RenderedSVG').length")
tables = d.execute_script("return document.querySelectorAll('.jp-RenderedHTMLCommon table').length")
errors = d.execute_script("return document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]').length")
text = d.execute_script("return document.querySelector('.jp-Notebook').innerText")
print("svg outputs:", svgs, "html tables:", tables)
print("seed numbers present:", all(s in text for s in ["c = -4", "J = 2", "dJ/dw = dJ/dc * dc/dw = 2 * (-2) = -4"]))
# scroll to the sql table and graph, screenshot
d.execute_script("document.querySelectorAll('.jp-RenderedHTMLCommon table')[0]?.scrollIntoView()")
time.sleep(1)
d.save_screenshot("/tmp/lab-sql.png")
d.execute_script("var s = document.querySelectorAll('.jp-RenderedSVG'); s[s.length-1]?.scrollIntoView()")
time.sleep(1)
d.save_screenshot("/tmp/lab-graph.png")
d.quit()
