"""The Portal's screens in a real browser (headless Chromium, selenium),
against a fresh mock; a technician's device (the Python bindings) syncs
what the office does on them.

    test_screens.py <sync-server-mock binary> <python bindings dir> <screenshots dir>

Elements are found as a person (or a screen reader) finds them: inputs by
their visible label, buttons and links by their words.
"""

import os
import sys
import tempfile
import unittest

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

SERVER_BINARY, BINDINGS_DIR, SCREENSHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, BINDINGS_DIR)
# The mock Portal launcher the binding suites use.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
from mock_portal import MockPortal  # noqa: E402
import fieldsync  # noqa: E402  (the generated module, loads libfieldsync.so from its folder)

WAIT = 15


mock = None
browser = None
tmp = None


def setUpModule():
    global mock, browser, tmp
    mock = MockPortal(SERVER_BINARY, os.path.join(SCREENSHOTS, "sync-server-mock.log"))
    tmp = tempfile.TemporaryDirectory(prefix="fieldsync-screens")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--disable-gpu", f"--user-data-dir={tmp.name}/chromium"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.implicitly_wait(0)


def tearDownModule():
    if browser:
        browser.quit()
    if mock:
        mock.stop()
    if tmp:
        tmp.cleanup()


# ---------------------------------------------------------------------------
# Finding things as a person does.

def wait_for(condition, what):
    try:
        return WebDriverWait(browser, WAIT).until(condition)
    except TimeoutException:
        shot(f"failed-{what.replace(' ', '-')[:40]}")
        raise AssertionError(f"timed out waiting for: {what}")


def xpath_text(text):
    return "concat('" + text.replace("'", "', \"'\", '") + "', '')"


def field(label):
    """The input, select or text area whose visible <label> says `label`."""
    element = wait_for(ec.presence_of_element_located(
        (By.XPATH, f"//label[normalize-space()={xpath_text(label)}]")), f"the label {label!r}")
    return browser.find_element(By.ID, element.get_attribute("for"))


def button(words):
    """A button or link by its words, or by its accessible name (aria-label)."""
    name = xpath_text(words)
    return wait_for(ec.element_to_be_clickable(
        (By.XPATH, f"//button[normalize-space()={name} or @aria-label={name}]"
                   f" | //a[normalize-space()={name} or @aria-label={name}]")),
        f"the button {words!r}")


def heading(text):
    return wait_for(ec.presence_of_element_located(
        (By.XPATH, f"//h1[normalize-space()={xpath_text(text)}]")), f"the heading {text!r}")


def type_into(label, text):
    element = field(label)
    element.clear()
    element.send_keys(text)


def shot(name):
    browser.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))


def go(hash_route):
    browser.get(f"{mock.url}/portal/{hash_route}")


def sign_in(user):
    go("#/sign-in")
    browser.execute_script("sessionStorage.clear(); localStorage.clear();")
    browser.refresh()
    type_into("Username", user)
    type_into("Password", user)
    button("Sign in").click()
    heading("Marketing Segments")


def row_of(label):
    """The table row whose Marketing Segment shows `label`."""
    return wait_for(ec.presence_of_element_located(
        (By.XPATH, f"//tr[.//span[@class='label' and normalize-space()={xpath_text(label)}]]")),
        f"a row for {label!r}")


def no_row_of(label):
    wait_for(lambda d: not d.find_elements(
        By.XPATH, f"//tr[.//span[@class='label' and normalize-space()={xpath_text(label)}]]"),
        f"no row for {label!r}")


def criterion(n):
    """Row `n` of the criteria builder (its accessible name "Criterion n")."""
    return wait_for(ec.presence_of_element_located(
        (By.XPATH, f"//div[@role='group' and @aria-label='Criterion {n}']")), f"criterion {n}")


def row_field(row, label):
    """The control of `row` whose visible label says `label`."""
    element = row.find_element(By.XPATH, f".//label[normalize-space()={xpath_text(label)}]")
    return row.find_element(By.ID, element.get_attribute("for"))


def member_count(expected):
    wait_for(lambda d: d.find_element(By.ID, "member-count").text == expected,
             f"the member count {expected}")


class Device:
    """A technician's device: the Python bindings, synced on demand."""

    def __init__(self, user="tech", locale="nl"):
        self.store = fieldsync.FieldStore.open_in_memory(locale)
        self.client = fieldsync.SyncClient(self.store, fieldsync.SyncConfig(server_url=mock.url), None)
        self.user = user

    async def sync(self):
        await self.client.login(self.user, self.user)
        await self.client.sync()

    def labels(self):
        return [o.label for o in self.store.segment_options()]


def run(coroutine):
    import asyncio
    return asyncio.run(coroutine)


# ---------------------------------------------------------------------------
# The stories.

class MarketingSegmentScreens(unittest.TestCase):
    def test_an_admin_adds_edits_and_deletes_a_segment_and_the_device_follows(self):
        sign_in("admin")
        shot("01-marketing-segments")
        button("+ Add").click()
        heading("Add marketing segment")
        self.assertEqual(Select(field("Organization")).first_selected_option.text, "ALL", "default ALL")
        self.assertEqual(Select(field("Visit frequency")).first_selected_option.text, "None", "default None")
        self.assertEqual([o.text for o in Select(field("Visit frequency")).options],
                         ["None", "Daily", "Every 2 days", "Every 3 days", "Every 4 days", "Weekly",
                          "Every 2 weeks", "Every 3 weeks", "Monthly", "Every 2 months", "Every 3 months",
                          "Every 4 months", "Every 6 months", "Once a year"], "the seed's 14 values, in order")
        type_into("Marketing Segment (en)", "Garden centres")
        Select(field("Language")).select_by_visible_text("nl")
        button("Add language").click()
        type_into("Marketing Segment (nl)", "Tuincentra")
        Select(field("Visit frequency")).select_by_visible_text("Every 2 weeks")
        type_into("Description", "Plant and garden shops")
        shot("02-add-marketing-segment")
        button("Save").click()
        heading("Marketing Segments")
        row = row_of("Garden centres")
        self.assertIn("nl: Tuincentra", row.text, "the other language stays visible")
        self.assertIn("Every 2 weeks", row.text)
        self.assertIn("ALL", row.text)
        shot("03-marketing-segment-listed")

        device = Device(locale="nl")
        run(device.sync())
        self.assertIn("Tuincentra", device.labels(), "the device offers its Dutch name")

        row.find_element(By.XPATH, ".//a[normalize-space()='Edit']").click()
        heading("Edit Garden centres")
        type_into("Marketing Segment (nl)", "Tuincentra en kwekerijen")
        button("Save").click()
        heading("Marketing Segments")
        self.assertIn("nl: Tuincentra en kwekerijen", row_of("Garden centres").text)
        run(device.sync())
        self.assertIn("Tuincentra en kwekerijen", device.labels(), "the device follows the edit")

        row_of("Garden centres").find_element(By.XPATH, ".//button[normalize-space()='Delete']").click()
        dialog = wait_for(ec.visibility_of_element_located((By.ID, "confirm")), "the confirmation")
        self.assertIn("Garden centres", dialog.text)
        shot("04-delete-confirmation")
        dialog.find_element(By.XPATH, ".//button[normalize-space()='Delete']").click()
        no_row_of("Garden centres")
        run(device.sync())
        self.assertNotIn("Tuincentra en kwekerijen", device.labels(), "the device no longer offers it")

    def test_a_blank_name_shows_the_error_next_to_the_field(self):
        sign_in("admin")
        button("+ Add").click()
        heading("Add marketing segment")
        button("Save").click()
        error = wait_for(ec.visibility_of_element_located((By.ID, "name-error")), "the name's error")
        fieldset = browser.find_element(By.XPATH, "//fieldset[legend[normalize-space()='Marketing Segment']]")
        self.assertTrue(fieldset.find_elements(By.ID, "name-error"), "the error is inside the field's fieldset")
        self.assertIn("Name", error.text)
        self.assertEqual(field("Marketing Segment (en)").get_attribute("aria-invalid"), "true")
        self.assertEqual(field("Marketing Segment (en)").get_attribute("aria-describedby"), "name-error")
        shot("05-blank-name-error")
        heading("Add marketing segment")  # nothing saved, still on the form

    def test_a_technician_sees_no_add_nor_edit(self):
        sign_in("tech")
        row_of("Retail")
        self.assertFalse(browser.find_elements(By.XPATH, "//a[normalize-space()='+ Add']"), "no + Add")
        self.assertFalse(browser.find_elements(By.XPATH, "//a[normalize-space()='Edit']"), "no Edit")
        self.assertFalse(browser.find_elements(By.XPATH, "//main//button[normalize-space()='Delete']"), "no Delete")
        shot("06-technician-read-only")

    def test_a_manager_offers_own_organization_and_all(self):
        sign_in("manager")
        button("+ Add").click()
        heading("Add marketing segment")
        self.assertEqual([o.text for o in Select(field("Organization")).options], ["ALL", "org-north"])


class AccountScreens(unittest.TestCase):
    def open_account(self, name):
        button("Accounts").click()
        heading("Accounts")
        type_into("Search", name)
        link = wait_for(ec.element_to_be_clickable((By.LINK_TEXT, name)), f"the account {name!r}")
        shot("07-accounts")
        link.click()
        heading(name)
        browser.find_element(By.XPATH, "//summary[normalize-space()='More Details']").click()
        wait_for(ec.visibility_of_element_located(
            (By.XPATH, "//h2[normalize-space()='Marketing Information']")), "Marketing Information")

    def test_a_manager_assigns_the_segment_and_the_device_follows(self):
        device = Device(locale="en")
        run(device.sync())
        name = "Bakkerij Janssens"
        [customer] = [c for c in device.store.customers(fieldsync.CustomerQuery(search=name)).customers]
        sign_in("manager")
        self.open_account(name)
        select = Select(field("Segment"))
        target = "Wholesale" if select.first_selected_option.text != "Wholesale" else "Retail"
        select.select_by_visible_text(target)
        shot("08-account-overview-segment")
        button("Save").click()
        wait_for(ec.presence_of_element_located(
            (By.XPATH, "//p[@role='status' and contains(., 'Saved the segment')]")), "the saved notice")
        run(device.sync())
        self.assertEqual(device.store.customer(customer.id).segment.label, target)

    def test_a_technician_sees_the_segment_read_only(self):
        sign_in("tech")
        self.open_account("Bakkerij Janssens")
        segment = field("Segment")
        self.assertEqual(segment.tag_name, "input")
        self.assertIsNotNone(segment.get_attribute("readonly"))
        self.assertFalse(browser.find_elements(By.XPATH, "//button[normalize-space()='Save']"), "no Save")
        shot("09-account-technician-read-only")


class CustomerSegmentScreens(unittest.TestCase):
    def test_the_list_shows_name_kind_flexi_priority_members_and_tags(self):
        sign_in("manager")
        button("Customer segments list").click()
        heading("Customer segments list")
        vip = wait_for(ec.presence_of_element_located((By.XPATH, "//tr[@data-id='cs-vip']")), "the VIP row")
        cells = [c.text for c in vip.find_elements(By.TAG_NAME, "td")]
        self.assertEqual(cells[1], "Static")
        self.assertTrue(cells[4].rstrip("+").isdigit(), cells)
        shot("10-customer-segments-list")

    def test_an_empty_segment_is_created_and_members_added_and_removed(self):
        device = Device(user="manager", locale="en")
        run(device.sync())
        sign_in("manager")
        button("Customer segments list").click()
        button("Create new").click()
        heading("Create new customer segment")
        self.assertTrue(button("Define conditions for the new segment"))
        button("Create an empty segment").click()
        heading("Create an empty segment")
        type_into("Name", "Screen regulars")
        type_into("Note", "Made on the Portal's screens")
        type_into("Priority", "30")
        type_into("Tags", "screens, regulars")
        shot("11-create-empty-segment")
        button("Create empty segment").click()
        heading("Screen regulars")
        Select(field("Customer")).select_by_visible_text("Bakkerij Janssens")
        button("Add member").click()
        wait_for(ec.presence_of_element_located(
            (By.XPATH, "//h2[normalize-space()='Members (1)']")), "one member")
        shot("12-static-members")
        run(device.sync())
        [made] = [s for s in device.store.customer_segments(None) if s.name == "Screen regulars"]
        self.assertEqual((made.priority, made.tags), (30, ["regulars", "screens"]))
        self.assertEqual([m.name for m in device.store.customer_segment_members(made.id, 50, 0).members],
                         ["Bakkerij Janssens"], "the device has the member the screen added")
        button("Remove Bakkerij Janssens").click()
        wait_for(ec.presence_of_element_located(
            (By.XPATH, "//h2[normalize-space()='Members (0)']")), "no member")
        run(device.sync())
        self.assertEqual(device.store.customer_segment_members(made.id, 50, 0).total, 0)

    def test_a_condition_segment_with_two_criteria_shows_its_member_count(self):
        device = Device(user="manager", locale="en")
        sign_in("manager")
        button("Customer segments list").click()
        button("Create new").click()
        button("Define conditions for the new segment").click()
        heading("Define conditions for the new segment")
        type_into("Name", "Brno buyers (screens)")
        type_into("Priority", "20")
        # Two criteria of two families: Brno, and at least one purchase.
        first = criterion(1)
        self.assertEqual(Select(row_field(first, "Family")).first_selected_option.text, "Socio-demographic criteria")
        Select(row_field(first, "Criterion")).select_by_visible_text("City")
        row_field(first, "Value").send_keys("Brno")
        button("Add criterion").click()
        second = criterion(2)
        Select(row_field(second, "Family")).select_by_visible_text("Purchasing behavior criteria")
        second = criterion(2)
        Select(row_field(second, "Criterion")).select_by_visible_text("Number of purchases")
        second = criterion(2)
        Select(row_field(second, "Operator")).select_by_visible_text("between")
        row_field(criterion(2), "Minimum").send_keys("1")
        member_count("2")
        shot("13-define-conditions-member-count")
        # The same form on a tablet held upright: nothing sticks out sideways.
        browser.set_window_size(800, 1280)
        try:
            self.assertLessEqual(browser.execute_script("return document.documentElement.scrollWidth"),
                                 browser.execute_script("return window.innerWidth"), "no sideways scrolling")
            shot("14-define-conditions-tablet")
        finally:
            browser.set_window_size(1280, 800)
        button("Save").click()
        heading("Brno buyers (screens)")
        run(device.sync())
        [made] = [s for s in device.store.customer_segments(None) if s.name == "Brno buyers (screens)"]
        self.assertEqual(device.store.customer_segment_members(made.id, 50, 0).total, 2,
                         "the device evaluates the count the screen showed")

        # Edit: exclude the VIPs through the segment picker.
        button("Edit").click()
        heading("Edit Brno buyers (screens)")
        member_count("2")
        button("Add criterion").click()
        third = criterion(3)
        Select(row_field(third, "Family")).select_by_visible_text(
            "Exclusion of customers according by customer segments and badges")
        third = criterion(3)
        self.assertTrue(row_field(third, "Exclude").is_selected(), "an exclusion family excludes")
        Select(row_field(third, "Customer segment")).select_by_visible_text("VIP")
        member_count("1")
        shot("15-edit-definition-exclusion")
        button("Save").click()
        heading("Brno buyers (screens)")
        run(device.sync())
        self.assertEqual(device.store.customer_segment_members(made.id, 50, 0).total, 1,
                         "the device follows the edited definition")

    def test_a_definition_with_bad_criteria_shows_the_error_at_its_row(self):
        sign_in("manager")
        go("#/loyalty/customer-segments/new/conditions")
        heading("Define conditions for the new segment")
        type_into("Name", "Bad criteria")
        button("Add criterion").click()
        Select(row_field(criterion(2), "Operator")).select_by_visible_text("is one of")
        row_field(criterion(1), "Value").send_keys("Brno")
        button("Save").click()
        error = wait_for(lambda d: criterion(2).find_elements(By.CLASS_NAME, "field-error"),
                         "the error in the second row")[0]
        self.assertIn("Values", error.text)
        self.assertFalse(criterion(1).find_elements(By.CLASS_NAME, "field-error"), "not in the first row")
        heading("Define conditions for the new segment")  # nothing saved

    def test_a_technician_cannot_create(self):
        sign_in("tech")
        button("Customer segments list").click()
        wait_for(ec.presence_of_element_located((By.XPATH, "//tr[@data-id='cs-vip']")), "the VIP row")
        self.assertFalse(browser.find_elements(By.XPATH, "//a[normalize-space()='Create new']"), "no Create new")


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"screens: {passed} passed, {failed + skipped} failed")
    sys.exit(0 if failed == 0 and skipped == 0 and passed > 0 else 1)
