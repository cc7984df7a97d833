// Package demo runs the reference practice server inside the Carebook app
// as its built-in demo practice, and signs the demo patient in on its pages
// the way a person would in a browser.
//
// It is the only bridge between the shipped app and package practice; it
// imports nothing of the app (main hands it to the app core, whose
// app.DemoPractice interface it satisfies).
package demo
