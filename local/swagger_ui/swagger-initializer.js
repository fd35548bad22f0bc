// Starts Swagger UI on the local gateway's /docs page with the committed openapi.json.
// A file rather than an inline <script>: the page's Content-Security-Policy runs scripts from 'self' only.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout",
  validatorUrl: null, // no validity badge: it would be an image from validator.swagger.io
});
