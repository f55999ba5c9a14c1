"""The count_clicks function (handler: app.handler). Its init starts here: see soundlink.platform.coldstart."""

from soundlink.platform import coldstart

coldstart.begin()
