"""The Streamlit pages of ``app.py``: widgets in, package calls out, results rendered.

One module per part of the page; nothing here computes (the ``hotspots`` package does) and nothing runs on import:

* :mod:`ui.state` - the session: demo cities, the current model, uploads and their callbacks;
* :mod:`ui.cache` - every cached package call (the only module with ``st.cache_data`` / ``st.cache_resource``);
* :mod:`ui.sidebar` - the model settings, returned as a plain dict;
* :mod:`ui.common` - escaping of untrusted text, errors, banners and the risk map of a result;
* one module per tab: :mod:`ui.map_tab`, :mod:`ui.interactions`, :mod:`ui.data_tab`, :mod:`ui.model_tab`,
  :mod:`ui.compare`, :mod:`ui.export_tab`.
"""
