// Lints an HTML email (read from stdin) against caniemail's data with @jsx-email/doiuse-email.
//
//   node lint.mjs 'outlook.windows' 'gmail.*' < digest.html
//
// Prints one JSON object: {clients, errors, selector_errors, warnings, notes}.
// doiuse-email reports a feature as an error when caniemail's latest entry for a client says "not
// supported", as a warning when it says partial or unknown. Errors raised by the *selectors* of the
// <style> block (class, type, descendant...) are kept apart in `selector_errors`: a client that does
// not read the block uses the inline styles instead, which are checked in full (see
// tests/test_email_lint.py for the verdict). Exit 0 unless the linter itself fails.
import { readFileSync } from "node:fs";
import { DoIUseEmail } from "@jsx-email/doiuse-email";

class Lint extends DoIUseEmail {
  constructor(options) {
    super(options);
    this.selectorErrors = [];
  }

  checkCSSSelectors(selectors) {
    const errors = this.errors;
    this.errors = this.selectorErrors;
    try {
      super.checkCSSSelectors(selectors);
    } finally {
      this.errors = errors;
    }
  }
}

const globs = process.argv.slice(2);
if (globs.length === 0) {
  console.error("usage: node lint.mjs CLIENT_GLOB... < email.html");
  process.exit(2);
}
const html = readFileSync(0, "utf8");
const linter = new Lint({ emailClients: globs });
const result = linter.check(html);
console.log(JSON.stringify({
  clients: linter.emailClients,
  errors: result.errors ?? [],
  selector_errors: linter.selectorErrors,
  warnings: result.warnings,
  notes: result.notes,
}));
