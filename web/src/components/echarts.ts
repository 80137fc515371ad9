// ECharts with only the chart types and components Keel uses registered, to keep the chunk small.
// EChart.vue imports this lazily, so a screen's own chunk (the war room's KPIs) does not wait
// for the chart library.
import * as echarts from 'echarts/core'
import { LineChart, BarChart, GaugeChart, HeatmapChart, ScatterChart, FunnelChart, PieChart, EffectScatterChart } from 'echarts/charts'
import {
  GridComponent, TooltipComponent, LegendComponent, VisualMapComponent, TitleComponent,
  DataZoomComponent, DatasetComponent, MarkLineComponent, MarkPointComponent,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  LineChart, BarChart, GaugeChart, HeatmapChart, ScatterChart, FunnelChart, PieChart, EffectScatterChart,
  GridComponent, TooltipComponent, LegendComponent, VisualMapComponent, TitleComponent, DataZoomComponent,
  DatasetComponent, MarkLineComponent, MarkPointComponent, CanvasRenderer,
])

export const init = echarts.init
export type ECharts = echarts.ECharts
