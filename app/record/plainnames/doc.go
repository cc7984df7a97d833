// Package plainnames holds the words a patient reads instead of a code
// system's technical names: consumer names for common tests, vital signs,
// visits, procedures, conditions, vaccines and medicines (names.tsv), and
// units written for people (units.tsv), in English and in Spanish
// (names.es.tsv, units.es.tsv, which cover every code and unit of the
// English files). Name and Unit answer in the language the app speaks
// (internal/i18n.Language). All are data files embedded in the binary;
// their headers state their source and license.
//
// It also removes SNOMED CT semantic tags ("(procedure)", "(finding)", …)
// from names, so that they never reach a screen.
//
// Everything here is read-only after package initialisation and safe for
// concurrent use. No I/O beyond the embedded files, no Fyne.
package plainnames
